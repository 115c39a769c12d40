"""Checks that judge a behaviour, not one returned number: an op run through the engine, a
list of graph edges, an order of nodes, a backward loop.

Each case (a ``Trial``) runs the student's piece and says what is wrong, if anything, as a
``Wrong`` (what was expected, what came back, and optionally a hint better than the case's
own). The verdicts read like ``_core``'s: which case failed, its input, expected vs got and a
hint; the first failing case stops the check with ``CheckFailed``.
"""

from __future__ import annotations

import sysconfig
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._core import NOT_WRITTEN_HINT, CheckFailed

_GRADERS = str(Path(__file__).resolve().parents[1])


def _engine_dir() -> str:
    import engine

    return str(Path(engine.__file__).resolve().parent)


@dataclass
class Wrong:
    """What one case found wrong."""

    expected: str
    got: str
    hint: str | None = None  # None: the case's own hint


@dataclass
class Trial:
    """One case: ``judge(piece)`` runs the student's piece; None when all is right."""

    what: str
    inputs: str
    judge: Callable[[Any], Wrong | None]
    hint: str
    explain_error: Callable[[BaseException], str | None] | None = None  # a better hint


def _library_dirs() -> tuple[str, ...]:
    """Folders of code that is not the student's: the checks, the engine, installed packages
    and the standard library."""
    dirs = {_GRADERS, _engine_dir()}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        dirs.add(sysconfig.get_paths()[key])
    return tuple(sorted(dirs))


def where_in_student_code(exc: BaseException) -> str:
    """Where the student's code raised (not in the checks, the engine or a library)."""
    skip = _library_dirs()
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(skip)]
    if not frames:
        return ""
    last = frames[-1]
    code = f": {last.line.strip()}" if last.line else ""
    return f" (in your code, line {last.lineno}{code})"


def _message(piece: str, n: int, total: int, trial: Trial, expected: str | None, got: str,
             hint: str) -> str:
    lines = [f"✗ {piece}: case {n} of {total} failed: {trial.what}",
             f"  input:    {trial.inputs}"]
    if expected is not None:
        lines.append(f"  expected: {expected}")
    lines += [f"  got:      {got}", f"  hint:     {hint}"]
    return "\n".join(lines)


def run(piece: str, obj, trials: list[Trial], *, expected_kind: Callable[[Any], str | None],
        missing_hint: str) -> None:
    """Run ``trials`` on ``obj``; raise CheckFailed at the first failing one, else print a pass.

    ``expected_kind(obj)`` says what is wrong with ``obj`` itself (not a function, not an op
    class, ...) before any case runs, or None.
    """
    __tracebackhide__ = True
    problem = expected_kind(obj)
    if problem is not None:
        raise CheckFailed(f"✗ {piece}: {problem}\n  hint:     {missing_hint}")
    for n, trial in enumerate(trials, 1):
        try:
            wrong = trial.judge(obj)
        except NotImplementedError:
            raise CheckFailed(_message(piece, n, len(trials), trial, None,
                                       f"NotImplementedError: `{piece}` is not written yet",
                                       NOT_WRITTEN_HINT)) from None
        except CheckFailed:
            raise
        except RecursionError:
            raise CheckFailed(_message(
                piece, n, len(trials), trial, None, "an error, RecursionError: maximum "
                "recursion depth exceeded", "Python stops a function that calls itself about "
                "1000 levels deep, and a graph can be far deeper than that: use a loop and a "
                "list as your own stack instead of recursion.")) from None
        except Exception as exc:  # the student's code raised: explain, do not re-raise
            raised = f"{type(exc).__name__}: {exc}{where_in_student_code(exc)}"
            hint = (trial.explain_error(exc) if trial.explain_error else None) or trial.hint
            raise CheckFailed(_message(piece, n, len(trials), trial, None,
                                       f"an error, {raised}", hint)) from None
        if wrong is not None:
            raise CheckFailed(_message(piece, n, len(trials), trial, wrong.expected, wrong.got,
                                       wrong.hint or trial.hint))
    print(f"✓ {piece}: all {len(trials)} cases pass.")


# --- readable values ------------------------------------------------------------------------

def array_text(value) -> str:
    """A number or an array, short and readable (no dtype noise)."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        text = f"{float(array):.10g}"
        return text if any(c in text for c in ".enia") else text + ".0"
    return np.array2string(array, precision=6, separator=", ", suppress_small=True)


def tensor_text(t) -> str:
    """A tensor's values (``None`` for a missing gradient)."""
    if t is None:
        return "None"
    data = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    return array_text(data)


def same(got, expected, tol: float = 1e-9) -> bool:
    """``got`` (a tensor, array or number) equals ``expected``: same shape, close values."""
    if got is None or expected is None:
        return got is None and expected is None
    g = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
    e = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    return g.shape == e.shape and bool(np.allclose(g, e, rtol=tol, atol=tol))
