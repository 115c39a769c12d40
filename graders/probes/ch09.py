"""Observations of chapter 09's pieces: ``Softplus`` and ``gradcheck``.

Each function runs the piece on inputs drawn from the grader's ``rng`` and returns plain
data (see ``graders.probes``): the same function runs on the student's piece in the sandbox
and on the reference solution in the grader.
"""

from __future__ import annotations

import numpy as np

from ._observe import attempt

# --- Softplus --------------------------------------------------------------------------------


def Softplus(piece, rng):  # noqa: N802 (named after the piece)
    import engine

    def run(x0, beta, dtype="float64"):
        x = engine.tensor(x0, dtype=getattr(engine, dtype), requires_grad=True)
        out = piece.apply(x) if beta is None else piece.apply(x, beta)
        g = engine.tensor(rng_g[: x0.size].reshape(x0.shape), dtype=getattr(engine, dtype))
        out.backward(g)
        return {"value": out, "grad": x.grad, "node": type(out.grad_fn).__name__}

    rng_g = rng.standard_normal(8)
    x_default, x_beta, x_matrix = (rng.standard_normal(6) * 3, rng.standard_normal(5) * 2,
                                   rng.standard_normal((2, 3)))
    beta_1, beta_2 = (float(b) for b in rng.uniform(0.3, 3.0, 2))
    observed = {
        "default beta": attempt(lambda: run(x_default, None)),
        "a number beta": attempt(lambda: run(x_beta, beta_1)),
        "a matrix": attempt(lambda: run(x_matrix, beta_2)),
        "large inputs in float32": attempt(
            lambda: run(np.array([-100.0, -30.0, 0.0, 30.0, 100.0]), None, "float32")),
    }

    def saved():
        x = engine.tensor(rng_g[:3], requires_grad=True)
        out = piece.apply(x, 2.0)
        kept = [t.detach().numpy() if isinstance(t, engine.Tensor) else repr(t)
                for t in out.grad_fn.saved_tensors]
        out.sum().backward()
        out.sum().backward()  # the reference raises here: what it saved was freed
        return kept

    def second_derivative():
        x = engine.tensor(rng_g[3:7], requires_grad=True)
        (first,) = engine.autograd.grad(piece.apply(x, 1.5).sum(), x, create_graph=True)
        (again,) = engine.autograd.grad(first.sum(), x)
        return [first, again]

    def engine_gradcheck():
        x = engine.tensor(rng.standard_normal((2, 2)), requires_grad=True)
        return engine.autograd.gradcheck(lambda t: piece.apply(t, 0.7), (x,))

    observed["what is saved, and a second backward"] = attempt(saved)
    observed["saved tensors"] = attempt(
        lambda: len(piece.apply(engine.tensor([1.0, 2.0], requires_grad=True), 1.0)
                    .grad_fn.saved_tensors))
    observed["a second derivative"] = attempt(second_derivative)
    observed["engine.autograd.gradcheck"] = attempt(engine_gradcheck)
    return observed


# --- gradcheck -------------------------------------------------------------------------------

def _functions():
    """(label, build) pairs: build() -> (func, inputs); the backwards right or wrong."""
    import engine
    from engine.autograd import Function

    def scaled(fa, fb):
        class ScaledProduct(Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a * b

            @staticmethod
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return g * b * fa, g * a * fb

        return ScaledProduct.apply

    class HalfSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return x * g

    def t(values, requires_grad=True):
        return engine.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)

    return t, [
        ("sin(x) * x", lambda r: ((lambda x: x.sin() * x), (t(r.standard_normal(4)),))),
        ("a matrix product", lambda r: ((lambda a, b: a @ b), (t(r.standard_normal((2, 3))),
                                                               t(r.standard_normal((3, 2)))))),
        ("rows of sigmoid, summed", lambda r: ((lambda x: x.sigmoid().sum(dim=1)),
                                               (t(r.standard_normal((3, 3))),))),
        ("a scalar output", lambda r: ((lambda x: (x**3).sum()), (t(r.standard_normal(3)),))),
        ("an input without grad first", lambda r: ((lambda c, b: c * b.exp()),
                                                   (t(r.standard_normal(3), False),
                                                    t(r.standard_normal(3))))),
        ("a backward missing a factor 2", lambda r: (HalfSquare.apply,
                                                     (t(r.uniform(0.5, 2.0, 3)),))),
        ("the second gradient wrong", lambda r: (scaled(1.0, 2.0), (
            t(r.uniform(0.5, 2, 3)), t(r.uniform(0.5, 2, 3))))),
        ("wrong after an input without grad", lambda r: (scaled(1.0, 2.0), (
            t(r.uniform(0.5, 2, 3), False), t(r.uniform(0.5, 2, 3))))),
        ("off by 0.02%", lambda r: (scaled(1.0002, 1.0), (t(r.uniform(1, 3, 3)),
                                                          t(r.uniform(1, 3, 3))))),
        ("off by 0.5%", lambda r: (scaled(1.005, 1.0), (t(r.uniform(1, 3, 3)),
                                                        t(r.uniform(1, 3, 3))))),
    ]


def gradcheck(piece, rng):
    from engine.autograd import GradcheckError

    def verdict(build, **options):
        func, inputs = build(rng)
        try:
            result = piece(func, inputs, **options)
        except GradcheckError as exc:
            lines = str(exc).splitlines()
            return {"error": lines[0] if lines else "",
                    "numerical then analytical": bool(len(lines) > 1
                                                      and lines[1].startswith("numerical:")
                                                      and "\nanalytical:" in str(exc))}
        untouched = all(getattr(x, "grad", None) is None for x in inputs)
        return {"returned": result is True or (isinstance(result, np.bool_) and bool(result)),
                ".grad untouched": untouched}

    t, functions = _functions()
    observed = {label: attempt(lambda b=build: verdict(b)) for label, build in functions}
    observed["off by 0.5%, rtol 0.01"] = attempt(lambda: verdict(functions[-1][1], rtol=0.01))
    observed["x**3 with eps 0.5"] = attempt(
        lambda: verdict(lambda r: ((lambda x: x**3), (t([1.0]),)), eps=0.5))
    return observed


# For the instructor's review (graders/grade/provenance.py): names that would mean the piece
# calls the engine's own implementation instead of being the student's work.
FORBIDDEN = {
    "Softplus": ("engine.nn.functional", "engine.autograd.grad", "torch"),
    "gradcheck": ("engine.autograd.gradcheck", "engine.autograd.gradgradcheck", "engine.testing",
                  "torch"),
}
