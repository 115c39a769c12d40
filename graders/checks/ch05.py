"""Visible checks of chapter 05, "Gradients accumulate".

    from graders.checks import ch05 as check
    check.accumulate_grad(accumulate_grad)
    check.accumulation_step(accumulation_step)

``accumulate_grad(leaf, grad)`` is checked inside the engine: within
``engine.substitute(accumulate_grad=...)`` every gradient a leaf receives goes through it, and
each case runs the same backward passes once with the engine's own rule and once with the
student's, comparing what ``.grad`` holds afterwards (values, dtype, which tensor object,
whether it shares memory with another tensor, whether it can be differentiated again).

``accumulation_step(model, optimizer, loss_fn, micro_batches)`` is compared with one step on
the whole batch at once (the same model, optimizer and data, float64): the parameters after
the step, their ``.grad``, the loss returned, and the number of backward passes (one per
micro-batch). The common mistakes are recognized by running them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import engine
from engine.nn import functional as F

from ._judge import Trial, Wrong, array_text, run

__all__ = ["accumulate_grad", "accumulation_step"]


def _engine(rule):
    """engine.substitute with ``rule`` as accumulate_grad (None: the engine's own)."""
    return engine.substitute() if rule is None else engine.substitute(accumulate_grad=rule)


def _text(value) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return value
    return array_text(value)


def _grad(t):
    """A leaf's .grad as plain data: None, or its values."""
    return None if t.grad is None else t.grad.detach().numpy().copy()


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))
    return a == b


# --- accumulate_grad(leaf, grad) ------------------------------------------------------------

@dataclass
class Scenario:
    """Backward passes run with a rule in the engine; ``run(rule)`` returns named
    observations ({label: value}), compared label by label, with a hint per label."""

    what: str
    inputs: str
    run: Callable
    hints: dict  # label -> hint when that observation differs


def _first(rule):
    with _engine(rule):
        x = engine.tensor(3.0, requires_grad=True)
        (x**2).backward()
    return {"x.grad": _grad(x),
            "x.grad.requires_grad": None if x.grad is None else x.grad.requires_grad}


def _second(rule):
    with _engine(rule):
        x = engine.tensor(3.0, requires_grad=True)
        (x**2).backward()
        (2 * x).backward()
    return {"x.grad": _grad(x)}


def _after_zero(rule):
    with _engine(rule):
        x = engine.tensor(3.0, requires_grad=True)
        (x**2).backward()
        x.grad.zero_()
        (2 * x).backward()
    return {"x.grad": _grad(x)}


def _after_none(rule):
    with _engine(rule):
        x = engine.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).sum().backward()
        held = x.grad
        x.grad = None
        (x * x).sum().backward()
    return {"x.grad": _grad(x), "x.grad is the tensor dropped": x.grad is held}


def _in_place(rule):
    with _engine(rule):
        x = engine.tensor([1.0, 2.0], requires_grad=True)
        (x * 3).sum().backward()
        held = x.grad
        (x * x).sum().backward()
    return {"x.grad": _grad(x), "held is x.grad": held is x.grad,
            "held": None if held is None else held.numpy().copy()}


def _shared_array(rule):
    with _engine(rule):
        a = engine.tensor([1.0, 2.0], requires_grad=True)
        b = engine.tensor([3.0, 4.0], requires_grad=True)
        v = engine.tensor([1.0, 1.0])
        (a + b).backward(v)
    if a.grad is not None:
        a.grad.add_(10.0)
    return {"a.grad": _grad(a), "b.grad": _grad(b), "v": v.numpy().copy()}


def _dtype_shape(rule):
    with _engine(rule):
        m = engine.ones(2, 3, dtype=engine.float64, requires_grad=True)
        (m * engine.tensor([[1.0, 2.0, 3.0]], dtype=engine.float64)).sum().backward()
        (m * 2).sum().backward()
    return {"m.grad": _grad(m),
            "m.grad.dtype": None if m.grad is None else str(m.grad.dtype)}


def _retain(rule):
    with _engine(rule):
        w = engine.tensor(2.0, requires_grad=True)
        loss = (w * 3 - 10) ** 2
        loss.backward(retain_graph=True)
        loss.backward()
    return {"w.grad": _grad(w)}


def _recorded(rule):
    with _engine(rule):
        z = engine.tensor(2.0, requires_grad=True)
        (z**3).backward(create_graph=True)
        first = z.grad
        recorded = first is not None and first.grad_fn is not None
        if recorded:
            z.grad = None
            first.backward()
    return {"z.grad after the first backward": None if first is None else first.item(),
            "it can be differentiated (it has a grad_fn)": recorded,
            "z.grad after differentiating it": _grad(z) if recorded else None}


def _recorded_twice(rule):
    with _engine(rule):
        x = engine.tensor(3.0, requires_grad=True)
        (x**3).backward(create_graph=True)
        (x**3).backward(create_graph=True)
        first = x.grad
        x.grad = None
        if first is not None and first.grad_fn is not None:
            first.backward()
    return {"x.grad after two recorded passes": None if first is None else first.item(),
            "the derivative of that sum": _grad(x)}


_STORE = ("when leaf.grad is None, store the gradient: leaf.grad = grad.clone() (a copy of "
          "it).")
_ADD = ("when leaf.grad already holds a gradient, add the new one to it (leaf.grad += grad): "
        "gradients accumulate, they do not replace each other.")
_COPY = ("store a copy the first time, grad.clone(): the same array was handed to a and to b "
         "(an addition passes its gradient on unchanged), and it is the v given to backward. "
         "Storing it as it is ties a.grad, b.grad and v together.")
_CLONE = ("copy with grad.clone(), which is recorded when the pass is, so .grad keeps the "
          "history that create_graph=True asked for; detach() or engine.tensor(...) would cut "
          "it.")

_SCENARIOS = [
    Scenario("the first gradient a leaf receives",
             "x = tensor(3., requires_grad=True); (x ** 2).backward()", _first,
             {"x.grad": _STORE,
              "x.grad.requires_grad": "store a plain copy of grad: nothing about it is "
                                      "recorded in an ordinary backward pass."}),
    Scenario("a second backward adds to the first (the lab: 6 + 2)",
             "x = tensor(3., requires_grad=True); (x ** 2).backward(); (2 * x).backward()",
             _second, {"x.grad": _ADD}),
    Scenario("after x.grad.zero_(), the next backward starts from zero",
             "x = tensor(3., requires_grad=True); (x ** 2).backward(); x.grad.zero_(); "
             "(2 * x).backward()", _after_zero, {"x.grad": _ADD}),
    Scenario("after x.grad = None, the next backward stores a new gradient",
             "x = tensor([1., 2.], requires_grad=True); (x * 3).sum().backward(); "
             "x.grad = None; (x * x).sum().backward()", _after_none,
             {"x.grad": _STORE,
              "x.grad is the tensor dropped": _STORE}),
    Scenario("the sum goes into the gradient tensor already there (in place)",
             "x = tensor([1., 2.], requires_grad=True); (x * 3).sum().backward(); "
             "held = x.grad; (x * x).sum().backward()", _in_place,
             {"x.grad": _ADD,
              "held is x.grad": "add in place, leaf.grad += grad, rather than making a new "
                                "tensor with leaf.grad = leaf.grad + grad: the tensor already "
                                "in .grad receives the sum (no new memory for every backward, "
                                "and whoever holds x.grad sees it).",
              "held": "add in place, leaf.grad += grad: the tensor already in .grad receives "
                      "the sum."}),
    Scenario("one gradient array handed to two leaves: a + b",
             "a = tensor([1., 2.]), b = tensor([3., 4.]), both requiring grad; "
             "v = tensor([1., 1.]); (a + b).backward(v); then a.grad.add_(10)",
             _shared_array, {"a.grad": _STORE, "b.grad": _COPY, "v": _COPY}),
    Scenario("a float64 matrix: .grad keeps the leaf's shape and dtype",
             "m = ones(2, 3, dtype=float64, requires_grad=True); "
             "(m * tensor([[1., 2., 3.]])).sum().backward(); (m * 2).sum().backward()",
             _dtype_shape,
             {"m.grad": _ADD,
              "m.grad.dtype": "keep grad's dtype: grad.clone() copies it as it is."}),
    Scenario("one graph walked twice (retain_graph=True): -24 + -24",
             "w = tensor(2., requires_grad=True); loss = (w * 3 - 10) ** 2; "
             "loss.backward(retain_graph=True); loss.backward()", _retain, {"w.grad": _ADD}),
    Scenario("a recorded backward (create_graph=True): .grad can be differentiated again",
             "z = tensor(2., requires_grad=True); (z ** 3).backward(create_graph=True); "
             "first = z.grad; z.grad = None; first.backward()", _recorded,
             {"z.grad after the first backward": _STORE,
              "it can be differentiated (it has a grad_fn)": _CLONE,
              "z.grad after differentiating it": _CLONE}),
    Scenario("two recorded backward passes: their sum can be differentiated too",
             "x = tensor(3., requires_grad=True); twice: (x ** 3).backward(create_graph=True); "
             "first = x.grad; x.grad = None; first.backward()", _recorded_twice,
             {"x.grad after two recorded passes": _ADD,
              "the derivative of that sum": _CLONE}),
]


def _scenario_trial(scenario: Scenario) -> Trial:
    def judge(student):
        want = scenario.run(None)
        got = scenario.run(student)
        for label, expected in want.items():
            if not _equal(got.get(label), expected):
                return Wrong(f"{label} = {_text(expected)}  (with the engine's own rule)",
                             f"{label} = {_text(got.get(label))}", scenario.hints.get(label))
        return None

    return Trial(scenario.what, scenario.inputs, judge,
                 "if leaf.grad is None: store grad.clone(); otherwise add in place: "
                 "leaf.grad += grad.", _explain_rule_error)


def _explain_rule_error(exc: BaseException) -> str | None:
    text = str(exc)
    if "attempting to assign a gradient" in text:  # of another size, dtype or device
        return "store a tensor with the leaf's own shape and dtype: grad.clone() has both."
    if "assigned grad expected to be a Tensor" in text:
        return ("leaf.grad must be a tensor: store grad.clone(), not an array or a number "
                "(grad is already a tensor).")
    if "NoneType" in text:
        return "leaf.grad is None before a leaf's first gradient: store grad.clone() then."
    if "a view of a leaf Variable that requires grad" in text or "in-place" in text:
        return ("add into leaf.grad, not into the leaf itself: leaf.grad += grad (the leaf's "
                "own values must not change during backward).")
    return None


def accumulate_grad(student_fn) -> None:
    """Check ``accumulate_grad(leaf, grad)`` inside the engine, against the engine's rule."""
    __tracebackhide__ = True

    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"

    run("accumulate_grad", student_fn, [_scenario_trial(s) for s in _SCENARIOS],
        expected_kind=problem,
        missing_hint="run the exercise cell that defines `accumulate_grad` first.")


# --- accumulation_step(model, optimizer, loss_fn, micro_batches) ----------------------------

class LineModel:
    """``w * x + b`` for a batch of numbers: chapter 01's line, as a model."""

    def __init__(self):
        self.w = engine.tensor(0.0, dtype=engine.float64, requires_grad=True)
        self.b = engine.tensor(0.0, dtype=engine.float64, requires_grad=True)

    def parameters(self):
        return [self.w, self.b]

    def __call__(self, x):
        return self.w * x + self.b


@dataclass
class StepCase:
    what: str
    inputs: str
    build: Callable  # () -> (model, optimizer, inputs, targets)
    sizes: tuple
    loss_fn: Callable = F.mse_loss
    steps: int = 1
    stale: bool = False  # the parameters hold an old gradient before the first step


def _line():
    model = LineModel()
    xs = engine.tensor([1.0, 2.0, 3.0, 4.0], dtype=engine.float64)
    ys = engine.tensor([3.0, 5.0, 7.0, 9.0], dtype=engine.float64)
    return model, engine.optim.SGD(model.parameters(), lr=0.05), xs, ys


def _layer(make_optimizer, rows=10, seed=0):
    def build():
        rng = np.random.default_rng(seed)
        x = engine.tensor(rng.standard_normal((rows, 3)), dtype=engine.float64)
        y = engine.tensor(rng.standard_normal((rows, 2)), dtype=engine.float64)
        engine.manual_seed(seed)
        model = engine.nn.Linear(3, 2).double()
        return model, make_optimizer(model.parameters()), x, y
    return build


def _classifier():
    rng = np.random.default_rng(5)
    x = engine.tensor(rng.standard_normal((9, 4)), dtype=engine.float64)
    y = engine.tensor(rng.integers(0, 3, 9))
    engine.manual_seed(5)
    model = engine.nn.Linear(4, 3).double()
    return model, engine.optim.SGD(model.parameters(), lr=0.3), x, y


_STEP_CASES = [
    StepCase("the line fit, two micro-batches of 2 points",
             "chapter 01's line w * x + b (w = b = 0), SGD(lr=0.05), F.mse_loss; "
             "x = [1., 2., 3., 4.], y = [3., 5., 7., 9.] as micro-batches of 2 and 2",
             _line, (2, 2)),
    StepCase("micro-batches of different sizes: 3 points and 1",
             "the same line fit, as micro-batches of 3 points and 1", _line, (3, 1)),
    StepCase("gradients left over from before must not count",
             "the line fit, micro-batches of 2 and 2, after an earlier backward left "
             "w.grad = 7 and b.grad = -3", _line, (2, 2), stale=True),
    StepCase("a linear layer, SGD with momentum, two steps in a row",
             "Linear(3, 2), SGD(lr=0.1, momentum=0.9), F.mse_loss; 10 random rows as "
             "micro-batches of 4, 4 and 2; two calls",
             _layer(lambda p: engine.optim.SGD(p, lr=0.1, momentum=0.9)), (4, 4, 2), steps=2),
    StepCase("Adam, uneven micro-batches",
             "Linear(3, 2), Adam(lr=0.01), F.mse_loss; 10 random rows as micro-batches of 1, "
             "6 and 3", _layer(lambda p: engine.optim.Adam(p, lr=0.01), seed=1), (1, 6, 3)),
    StepCase("a classifier with cross-entropy, 3 micro-batches of 3 rows",
             "Linear(4, 3), SGD(lr=0.3), F.cross_entropy; 9 random rows, 3 classes, as "
             "micro-batches of 3", _classifier, (3, 3, 3), loss_fn=F.cross_entropy),
    StepCase("one micro-batch: the whole batch",
             "the line fit, as one micro-batch of 4 points", _line, (4,)),
]


def _split(x, y, sizes):
    pieces, start = [], 0
    for n in sizes:
        pieces.append((x[start:start + n], y[start:start + n]))
        start += n
    return pieces


def _big_step(model, optimizer, loss_fn, micro_batches):
    """The whole batch at once: what accumulation must reproduce."""
    optimizer.zero_grad()
    x = engine.cat([inputs for inputs, _ in micro_batches])
    y = engine.cat([targets for _, targets in micro_batches])
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _outcome(step_fn, case: StepCase) -> dict:
    """Run ``case`` with ``step_fn``: the losses it returned, the parameters and their .grad
    after the last step, and the backward passes each step ran."""
    model, optimizer, x, y = case.build()
    params = list(model.parameters())
    if case.stale:
        for p, value in zip(params, (7.0, -3.0)):
            p.grad = engine.full_like(p, value)
    passes = [0]
    handle = params[0].register_hook(lambda g: passes.__setitem__(0, passes[0] + 1))
    losses, counts = [], []
    try:
        for _ in range(case.steps):
            passes[0] = 0
            losses.append(step_fn(model, optimizer, case.loss_fn, _split(x, y, case.sizes)))
            counts.append(passes[0])
    finally:
        handle.remove()
    return {"losses": losses, "passes": counts,
            "params": [p.detach().numpy().copy() for p in params],
            "grads": [None if p.grad is None else p.grad.numpy().copy() for p in params]}


# Mistakes, run to recognize what a student's result looks like. Each returns the loss the
# way that mistake would.
def _scaled(weight, *, zero="once", step="once", backward="each"):
    def step_fn(model, optimizer, loss_fn, micro_batches):
        rows = sum(len(inputs) for inputs, _ in micro_batches)
        if zero == "once":
            optimizer.zero_grad()
        whole, pending = 0.0, None
        for inputs, targets in micro_batches:
            if zero == "each":
                optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets) * weight(len(inputs), rows,
                                                            len(micro_batches))
            whole += loss.item()
            if backward == "each":
                loss.backward()
            else:
                pending = loss if pending is None else pending + loss
            if step == "each":
                optimizer.step()
        if pending is not None:
            pending.backward()
        if step == "once":
            optimizer.step()
        return whole
    return step_fn


def _share(n, rows, k):
    return n / rows


_MISTAKES = [
    (_scaled(lambda n, rows, k: 1.0),
     "each micro-batch's loss is the mean over its own rows, so adding them up counts the "
     "batch several times: weight each loss by its share of the rows, len(inputs) / N."),
    (_scaled(lambda n, rows, k: 1.0 / k),
     "dividing by the number of micro-batches is right only when they all have the same "
     "size: weight each loss by its share of the rows, len(inputs) / N."),
    (_scaled(_share, zero="each"),
     "reset the gradients once, before the first micro-batch: zero_grad() inside the loop "
     "throws away what the earlier micro-batches added."),
    (_scaled(_share, zero="never"),
     "start with optimizer.zero_grad(): the parameters' .grad still hold the gradient of an "
     "earlier backward, and it would be added in."),
    (_scaled(_share, step="each"),
     "call optimizer.step() once, after the loop: stepping after every micro-batch makes "
     "several small steps instead of the one step of the big batch."),
]


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


def _same(o1: dict, o2: dict, keys=("params", "grads")) -> bool:
    return all(len(o1[k]) == len(o2[k]) and all(_close(a, b) for a, b in zip(o1[k], o2[k]))
               for k in keys)


def _params_text(values) -> str:
    return "; ".join(array_text(v) if v is not None else "None" for v in values)


def _step_trial(case: StepCase) -> Trial:
    def judge(student):
        want = _outcome(_big_step, case)
        got = _outcome(student, case)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   for v in got["losses"]):
            bad = next(v for v in got["losses"]
                       if not isinstance(v, (int, float)) or isinstance(v, bool))
            return Wrong("the loss of the whole batch, a Python number",
                         f"{type(bad).__name__} {bad!r}"[:120],
                         "return a plain number: the sum of the weighted micro-batch "
                         "losses, each taken with .item().")
        if not _same(got, want, ("params",)):
            hint = next((text for mistake, text in _MISTAKES
                         if _same(got, _outcome(mistake, case), ("params",))), None)
            return Wrong(f"parameters after the step: {_params_text(want['params'])}  "
                         f"(one step on the whole batch)",
                         f"parameters: {_params_text(got['params'])}", hint)
        if got["passes"] != [len(case.sizes)] * case.steps:
            return Wrong(f"{len(case.sizes)} backward passes per step, one per micro-batch",
                         f"{got['passes'][0]} backward pass"
                         f"{'es' if got['passes'][0] != 1 else ''} per step",
                         "call loss.backward() on each micro-batch's loss right after "
                         "computing it: summing the losses first keeps every micro-batch's "
                         "graph in memory at once, which is what accumulation avoids.")
        if not _same(got, want, ("grads",)):
            return Wrong(f"the parameters' .grad after the step: {_params_text(want['grads'])}",
                         f".grad: {_params_text(got['grads'])}",
                         "leave the accumulated gradients in .grad, as optimizer.step() does; "
                         "do not reset them after the step.")
        if not np.allclose(got["losses"], want["losses"], rtol=1e-9, atol=1e-12):
            return Wrong(f"the loss returned: {_params_text(want['losses'])}  (the whole "
                         "batch's mean loss)",
                         f"returned {_params_text(got['losses'])}",
                         "return the sum of the weighted micro-batch losses (each "
                         "loss.item() after weighting by len(inputs) / N): the whole batch's "
                         "mean loss.")
        return None

    return Trial(case.what, case.inputs, judge,
                 "optimizer.zero_grad(); for each micro-batch: loss = loss_fn(model(inputs), "
                 "targets) * len(inputs) / N, loss.backward(); then optimizer.step() once; "
                 "return the sum of the losses' .item().", _explain_step_error)


def _explain_step_error(exc: BaseException) -> str | None:
    text = str(exc)
    if "a second time" in text:
        return ("each micro-batch needs its own forward pass (model(inputs)) before its "
                "backward: a graph is freed once backward has walked it.")
    if "grad can be implicitly created only for scalar outputs" in text:
        return "call backward on the loss (one number), not on the model's predictions."
    return None


def accumulation_step(student_fn) -> None:
    """Check ``accumulation_step`` against one step on the whole batch."""
    __tracebackhide__ = True

    def problem(obj):
        return None if callable(obj) else f"expected a function, got {type(obj).__name__} {obj!r}"

    run("accumulation_step", student_fn, [_step_trial(c) for c in _STEP_CASES],
        expected_kind=problem,
        missing_hint="run the exercise cell that defines `accumulation_step` first.")
