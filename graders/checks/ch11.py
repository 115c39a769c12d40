"""Visible checks of chapter 11, "Debugging autograd".

    from graders.checks import ch11 as check
    check.fit_line(fit_line)
    check.train_network(train_network)
    check.fit_distance(fit_distance)

Each exercise repairs a broken training loop, and is judged by its outcome: the student's loop
runs on the check's data and its result (the trained parameters and the list of losses) is
compared with the result of a correct loop run on the engine with the same data. The checks
also recognise the result of the broken loop and of the usual half-repairs, and say so.
"""

from __future__ import annotations

import warnings

import numpy as np

import engine

from ._judge import Trial, Wrong, array_text, run

__all__ = ["fit_line", "train_network", "fit_distance",
           "correct_fit_line", "correct_train_network", "correct_fit_distance"]

TOL = 1e-6


# --- the correct loops (and the broken variants the checks recognise) -------------------------

def correct_fit_line(xs, ys, epochs=201, lr=0.05, *, zero=True, items=True):
    """Chapter 01's line fit: (w, b, losses) after ``epochs`` steps of gradient descent."""
    w = engine.tensor(0.0, requires_grad=True)
    b = engine.tensor(0.0, requires_grad=True)
    losses = []
    for _ in range(epochs):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if zero:
            w.grad = None
            b.grad = None
        losses.append(loss.item() if items else loss)
    return w.item(), b.item(), losses


def correct_train_network(x, y, w1, w2, steps=100, lr=0.1, *, centre="out-of-place"):
    """h = tanh(x @ w1) centred over the batch, prediction h @ w2, mean squared error."""
    w1 = w1.detach().clone().requires_grad_()
    w2 = w2.detach().clone().requires_grad_()
    losses = []
    for _ in range(steps):
        h = (x @ w1).tanh()
        if centre == "out-of-place":
            h = h - h.mean(0)
        elif centre == "detached mean":
            h = h - h.mean(0).detach()
        loss = ((h @ w2 - y) ** 2).mean()
        loss.backward()
        with engine.no_grad():
            w1 -= lr * w1.grad
            w2 -= lr * w2.grad
        w1.grad = None
        w2.grad = None
        losses.append(loss.item())
    return w1.detach(), w2.detach(), losses


def correct_fit_distance(x, y, w, steps=100, lr=0.1, *, mean_over="all rows"):
    """A linear model fitted by the mean Euclidean distance between its predictions and the
    targets, over every row (padding rows, all zeros, included); the gradient is made finite
    where a distance is exactly 0."""
    w = w.detach().clone().requires_grad_()
    losses = []
    for _ in range(steps):
        d = x @ w - y
        squared = (d ** 2).sum(1)
        positive = squared > 0
        safe = engine.where(positive, squared, engine.ones_like(squared))
        distance = engine.where(positive, safe.sqrt(), engine.zeros_like(squared))
        if mean_over == "all rows":
            loss = distance.mean()
        else:  # only the rows whose distance is not 0
            loss = distance.sum() / positive.sum()
        loss.backward()
        with engine.no_grad():
            w -= lr * w.grad
        w.grad = None
        losses.append(loss.item())
    return w.detach(), losses


# --- data ---------------------------------------------------------------------------------------

def line_data(seed):
    """A noisy line y = a x + c at 6 points; seed None: the lessons' four points. Float32, the
    engine's default, like the parameters the loop makes."""
    if seed is None:
        return engine.tensor([1.0, 2.0, 3.0, 4.0]), engine.tensor([3.0, 5.0, 7.0, 9.0])
    rng = np.random.default_rng(seed)
    xs = np.linspace(-1.0, 2.0, 6)
    ys = rng.uniform(-2, 2) * xs + rng.uniform(-1, 1) + 0.1 * rng.standard_normal(6)
    return engine.tensor(xs, dtype=engine.float32), engine.tensor(ys, dtype=engine.float32)


def network_data(seed, n=32, d=3, k=6):
    """(x, y, w1, w2): a batch from a centred tanh teacher, and the starting weights."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    h = np.tanh(x @ rng.standard_normal((d, k)))
    h -= h.mean(0)
    y = h @ rng.standard_normal((k, 1)) + 0.1 * rng.standard_normal((n, 1))
    return (engine.tensor(x), engine.tensor(y), engine.tensor(0.5 * rng.standard_normal((d, k))),
            engine.tensor(0.5 * rng.standard_normal((k, 1))))


def distance_data(seed, n=24, pad=8, d=3, k=2):
    """(x, y, w): a noisy linear teacher's batch padded with ``pad`` rows of zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = x @ rng.standard_normal((d, k)) + 0.3 * rng.standard_normal((n, k))
    x = np.vstack([x, np.zeros((pad, d))])
    y = np.vstack([y, np.zeros((pad, k))])
    return engine.tensor(x), engine.tensor(y), engine.tensor(0.1 * rng.standard_normal((d, k)))


# --- judging an outcome ---------------------------------------------------------------------------

def _number(value):
    """A float from a number or a one-element tensor; None otherwise."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, engine.Tensor) and value.numel() == 1:
        return float(value.item())
    return None


def _array(value):
    if isinstance(value, engine.Tensor):
        return value.detach().numpy()
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def _close(got, want, tol=TOL) -> bool:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=tol, atol=tol))


def _losses_problem(losses, want) -> Wrong | None:
    """The list of losses: plain numbers, as many as steps, the right values."""
    if not isinstance(losses, list):
        return Wrong(f"losses: a list of {len(want)} numbers", f"{type(losses).__name__}",
                     "return the list the loop appends to.")
    tensors = [v for v in losses if isinstance(v, engine.Tensor)]
    if tensors:
        return Wrong(f"losses: a list of {len(want)} Python numbers",
                     f"a list holding tensors ({tensors[0]!r})",
                     "append loss.item(), not loss: a loss tensor keeps its whole graph alive "
                     "for as long as the list lives (memory grows every step).")
    if len(losses) != len(want):
        return Wrong(f"losses: {len(want)} numbers, one per step", f"{len(losses)} numbers",
                     "append one loss per step.")
    if any(not isinstance(v, (int, float, np.floating)) for v in losses):
        return Wrong("losses: Python numbers", f"a list holding {losses[0]!r}",
                     "append loss.item().")
    values = np.asarray(losses, dtype=float)
    if not np.all(np.isfinite(values)):
        first = int(np.flatnonzero(~np.isfinite(values))[0])
        return Wrong("finite losses", f"losses[{first}] = {values[first]}",
                     "a NaN or inf appeared: run one step under engine.autograd.detect_anomaly()"
                     " to find the node whose backward made it.")
    return None


def _first_difference(got, want) -> int | None:
    """The index of the first loss that differs, None if none does."""
    for i, (g, e) in enumerate(zip(got, want)):
        if not _close(g, e):
            return i
    return None


def _curve(values) -> str:
    values = list(values)
    picks = values[:3] + (["..."] if len(values) > 4 else []) + values[-1:]
    return "[" + ", ".join(v if isinstance(v, str) else f"{v:.6g}" for v in picks) + "]"


# --- fit_line ---------------------------------------------------------------------------------

_FIT_LINE_HINT = ("the loop runs backward every step, and the engine adds each new gradient "
                  "into .grad: clear w.grad and b.grad after each update (w.grad = None or "
                  "w.grad.zero_()), and log loss.item().")


def _fit_line_trial(seed, epochs, lr):
    def judge(student):
        xs, ys = line_data(seed)
        want_w, want_b, want = correct_fit_line(xs, ys, epochs, lr)
        result = student(xs, ys, epochs, lr)
        if not (isinstance(result, tuple) and len(result) == 3):
            return Wrong("(w, b, losses)", f"{result!r}"[:80], "return w.item(), b.item(), losses.")
        w, b, losses = result
        problem = _losses_problem(losses, want)
        if problem:
            return problem
        got_w, got_b = _number(w), _number(b)
        if got_w is None or got_b is None:
            return Wrong("w and b as numbers", f"w = {w!r}, b = {b!r}",
                         "return w.item(), b.item(), losses.")
        if _close([got_w, got_b], [want_w, want_b]) and _close(losses, want):
            return None
        hint = None
        broken_w, broken_b, broken = correct_fit_line(xs, ys, epochs, lr, zero=False)
        if _close(losses, broken):
            hint = ("these are the broken loop's numbers: the gradients still accumulate "
                    "from step to step. Clear them after each update.")
        elif _first_difference(losses, want) == 2:
            hint = ("the first update is right and the second is not: a gradient is still "
                    "piling up from one step to the next. Clear both w.grad and b.grad after "
                    "every update, in the loop.")
        return Wrong(f"w = {want_w:.6g}, b = {want_b:.6g}, losses {_curve(want)}",
                     f"w = {got_w:.6g}, b = {got_b:.6g}, losses {_curve(losses)}", hint)

    where = ("the lessons' four points xs = [1., 2., 3., 4.], ys = [3., 5., 7., 9.]"
             if seed is None else f"6 noisy points on a line (seed {seed})")
    return Trial(f"{where}, {epochs} steps, lr = {lr}",
                 f"w, b, losses = fit_line(xs, ys, {epochs}, {lr})", judge, _FIT_LINE_HINT)


def fit_line(student_fn) -> None:
    """Check ``fit_line(xs, ys, epochs, lr)`` by its outcome."""
    __tracebackhide__ = True
    trials = [_fit_line_trial(None, 201, 0.05), _fit_line_trial(None, 5, 0.05),
              _fit_line_trial(1, 60, 0.1), _fit_line_trial(2, 30, 0.2)]
    run("fit_line", student_fn, trials, expected_kind=_function_problem,
        missing_hint="run the exercise cell that defines `fit_line` first.")


# --- train_network ------------------------------------------------------------------------------

_NETWORK_HINT = ("h -= h.mean(0) changes, in place, the tanh result that TanhBackward0 saved "
                 "for its backward: write h = h - h.mean(0), which makes a new tensor and "
                 "keeps the centring.")


def _weights_problem(names, got, want) -> Wrong | None:
    for name, g, e in zip(names, got, want):
        array = _array(g)
        if array is None or array.shape != tuple(e.shape):
            return Wrong(f"{name}: a tensor of shape {tuple(e.shape)}", f"{g!r}"[:80],
                         f"return the trained {name} (detached).")
        if isinstance(g, engine.Tensor) and g.requires_grad:
            return Wrong(f"{name} detached from any graph", f"{name} requires grad",
                         f"return {name}.detach().")
    return None


def _network_trial(seed, steps, lr):
    def judge(student):
        x, y, w1, w2 = network_data(seed)
        kept = (w1.numpy().copy(), w2.numpy().copy())
        want1, want2, want = correct_train_network(x, y, w1, w2, steps, lr)
        result = student(x, y, w1, w2, steps, lr)
        if not (np.array_equal(w1.numpy(), kept[0]) and np.array_equal(w2.numpy(), kept[1])):
            return Wrong("the caller's w1 and w2 unchanged", "they were changed",
                         "train copies: w1 = w1.clone().requires_grad_(), as the broken loop "
                         "does.")
        if not (isinstance(result, tuple) and len(result) == 3):
            return Wrong("(w1, w2, losses)", f"{result!r}"[:80],
                         "return w1.detach(), w2.detach(), losses.")
        got1, got2, losses = result
        problem = (_weights_problem(["w1", "w2"], [got1, got2], [want1, want2])
                   or _losses_problem(losses, want))
        if problem:
            return problem
        if (_close(_array(got1), want1.numpy()) and _close(_array(got2), want2.numpy())
                and _close(losses, want)):
            return None
        hint = None
        for centre, text in [("none", "the centring is gone: keep it, out of place "
                                      "(h = h - h.mean(0))."),
                             ("detached mean", "the mean is detached: its gradient is part of "
                                               "the model, keep it (h = h - h.mean(0)).")]:
            if _close(losses, correct_train_network(x, y, w1, w2, steps, lr, centre=centre)[2]):
                hint = text
        return Wrong(f"losses {_curve(want)}", f"losses {_curve(losses)}", hint)

    return Trial(f"a batch of 32 from a tanh teacher (seed {seed}), {steps} steps, lr = {lr}",
                 f"w1, w2, losses = train_network(x, y, w1, w2, {steps}, {lr}); x: 32x3, "
                 "y: 32x1, w1: 3x6, w2: 6x1", judge, _NETWORK_HINT, _network_explain)


def _network_explain(exc: BaseException) -> str | None:
    if "modified by an inplace operation" in str(exc):
        return _NETWORK_HINT
    if "leaf Variable" in str(exc):
        return "update the weights inside `with engine.no_grad():`, as the broken loop does."
    return None


def train_network(student_fn) -> None:
    """Check ``train_network(x, y, w1, w2, steps, lr)`` by its outcome."""
    __tracebackhide__ = True
    trials = [_network_trial(0, 100, 0.1), _network_trial(1, 40, 0.2), _network_trial(2, 3, 0.5)]
    run("train_network", student_fn, trials, expected_kind=_function_problem,
        missing_hint="run the exercise cell that defines `train_network` first.")


# --- fit_distance -------------------------------------------------------------------------------

_DISTANCE_HINT = ("the padding rows have a distance of exactly 0, where the derivative of the "
                  "square root is infinite; times the 0 that (d ** 2) passes back, that makes "
                  "NaN. Keep the loss as it is (the mean over all rows) and make its gradient "
                  "finite there: the square root of where(squared > 0, squared, 1), then "
                  "where(squared > 0, that, 0).")


def _distance_trial(seed, steps, lr, pad=8):
    def judge(student):
        x, y, w = distance_data(seed, pad=pad)
        kept = w.numpy().copy()
        want_w, want = correct_fit_distance(x, y, w, steps, lr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's, on a broken loop's NaN
            result = student(x, y, w, steps, lr)
        if not np.array_equal(w.numpy(), kept):
            return Wrong("the caller's w unchanged", "it was changed",
                         "train a copy: w = w.clone().requires_grad_(), as the broken loop does.")
        if not (isinstance(result, tuple) and len(result) == 2):
            return Wrong("(w, losses)", f"{result!r}"[:80], "return w.detach(), losses.")
        got_w, losses = result
        problem = _weights_problem(["w"], [got_w], [want_w]) or _losses_problem(losses, want)
        if problem:
            if problem.hint and "NaN" in problem.hint:
                problem.hint = _DISTANCE_HINT
            return problem
        if _close(_array(got_w), want_w.numpy()) and _close(losses, want):
            return None
        hint = None
        if _close(losses, correct_fit_distance(x, y, w, steps, lr, mean_over="real rows")[1]):
            hint = ("the padding rows were left out of the mean: the loss is the mean over "
                    "all rows (padding contributes 0); only its gradient needed fixing.")
        return Wrong(f"w = {array_text(want_w.numpy().ravel()[:3])}..., losses {_curve(want)}",
                     f"w = {array_text(_array(got_w).ravel()[:3])}..., "
                     f"losses {_curve(losses)}", hint)

    rows = f"24 rows and {pad} rows of zero padding" if pad else "24 rows, no padding"
    return Trial(f"{rows} (seed {seed}), {steps} steps, lr = {lr}",
                 f"w, losses = fit_distance(x, y, w, {steps}, {lr}); x: {24 + pad}x3, "
                 f"y: {24 + pad}x2, w: 3x2", judge, _DISTANCE_HINT)


def fit_distance(student_fn) -> None:
    """Check ``fit_distance(x, y, w, steps, lr)`` by its outcome."""
    __tracebackhide__ = True
    trials = [_distance_trial(0, 100, 0.1), _distance_trial(1, 50, 0.2),
              _distance_trial(2, 20, 0.1, pad=0)]
    run("fit_distance", student_fn, trials, expected_kind=_function_problem,
        missing_hint="run the exercise cell that defines `fit_distance` first.")


def _function_problem(obj):
    return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"
