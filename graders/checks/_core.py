"""The machinery of the visible checks: run cases, compare, explain.

A check runs a student's function on a few cases. The first case that goes wrong stops the
check with one ``CheckFailed`` (an ``AssertionError``, so nbgrader marks the cell as failed)
whose message says which case, the input, what was expected, what came back and a hint.
Jupyter shows that message alone: ``CheckFailed`` renders no traceback from inside the
checks. When every case passes, the check prints one line and returns.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

_HERE = str(Path(__file__).resolve().parents[1])  # the graders package: not the student's code
_RED, _RESET = "\x1b[0;31m", "\x1b[0m"
NOT_WRITTEN_HINT = ("replace `raise NotImplementedError()` in the exercise cell with your code, "
                    "run that cell, then run this check again.")


class CheckFailed(AssertionError):
    """A visible check failed; the message is the whole story."""

    def _render_traceback_(self):  # IPython shows this instead of a traceback
        lines = str(self).splitlines() or ["check failed"]
        return [_RED + lines[0] + _RESET, *lines[1:]]


@dataclass
class Case:
    """One try of the student's function.

    ``call(fn)`` runs it; ``expected`` is computed by reference code (the engine's autograd or
    its finite differences), compared within ``tol`` (absolute and relative);
    ``after(result)`` may return a problem found after the call (an input that was changed);
    ``data`` is for the check's own diagnosis of common mistakes.
    """

    what: str
    inputs: str
    call: Callable[[Callable], Any]
    expected: Any
    hint: str
    tol: float = 1e-6
    expected_note: str = ""
    after: Callable[[Any], str | None] | None = None
    data: dict = field(default_factory=dict)


def fmt(value) -> str:
    """Numbers and arrays, readably."""
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.10g}"
        return text if any(c in text for c in ".enia") else text + ".0"
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=8, separator=", ")
    return repr(value)


def _as_number(got) -> float | None:
    """A plain number, a 0-d array or a one-element tensor as a float; None otherwise."""
    if isinstance(got, (bool, np.bool_)):
        return None
    if isinstance(got, (int, float, np.integer, np.floating)):
        return float(got)
    if isinstance(got, np.ndarray):
        return float(got) if got.ndim == 0 and got.dtype.kind in "iuf" else None
    if hasattr(got, "numel") and hasattr(got, "item") and got.numel() == 1:
        return float(got.item())
    return None


def compare(got, expected, tol: float) -> str | None:
    """None when ``got`` matches ``expected``; else what is wrong, in a few words."""
    if np.ndim(expected) == 0:
        number = _as_number(got)
        if number is None:
            shape = f" of shape {np.shape(got)}" if hasattr(got, "shape") else ""
            return f"a {type(got).__name__}{shape}, not a number"
        if not np.isclose(number, float(expected), rtol=tol, atol=tol):
            return "a different value"
        return None
    try:
        array = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got, dtype=float)
    except (TypeError, ValueError):
        return f"a {type(got).__name__}, not an array of numbers"
    if array.shape != np.shape(expected):
        return f"an array of shape {array.shape}, expected shape {np.shape(expected)}"
    if not np.allclose(array, expected, rtol=tol, atol=tol):
        return "different values"
    return None


def _library_dirs() -> tuple[str, ...]:
    """Where code that is not the student's lives: the checks, the engine, Python's libraries."""
    import sysconfig

    import engine

    paths = sysconfig.get_paths()
    return (_HERE, str(Path(engine.__file__).resolve().parent),
            *{paths[k] for k in ("stdlib", "purelib", "platlib") if k in paths})


def _where_in_student_code(exc: BaseException) -> str:
    """' (in your code, line N: <the line>)' for the last frame of the student's own code."""
    libraries = _library_dirs()
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not str(Path(f.filename).resolve()).startswith(libraries)]
    if not frames:
        return ""
    last = frames[-1]
    code = f": {last.line.strip()}" if last.line else ""
    return f" (in your code, line {last.lineno}{code})"


def message(piece: str, n: int, total: int, case: Case, got: str, hint: str) -> str:
    tolerance = f"within {case.tol:g}" if case.tol else ""
    note = ", ".join(x for x in (case.expected_note, tolerance) if x)
    return "\n".join([
        f"✗ {piece}: case {n} of {total} failed: {case.what}",
        f"  input:    {case.inputs}",
        f"  expected: {fmt(case.expected)}" + (f"  ({note})" if note else ""),
        f"  got:      {got}",
        f"  hint:     {hint}",
    ])


def run(piece: str, fn, cases: list[Case], *, diagnose=None) -> None:
    """Run ``cases`` on ``fn``; raise CheckFailed at the first failing case, else print a pass."""
    __tracebackhide__ = True
    if not callable(fn):
        raise CheckFailed(
            f"✗ {piece}: expected a function, got {type(fn).__name__} {fn!r}\n"
            f"  hint:     run the exercise cell that defines `{piece}` first.")
    for n, case in enumerate(cases, 1):
        try:
            got = case.call(fn)
        except NotImplementedError:
            raise CheckFailed(message(piece, n, len(cases), case,
                                      f"NotImplementedError: `{piece}` is not written yet",
                                      NOT_WRITTEN_HINT)) from None
        except Exception as exc:  # the student's code raised: explain, do not re-raise
            where = _where_in_student_code(exc)
            raised = f"{type(exc).__name__}: {exc}{where}"
            raise CheckFailed(message(piece, n, len(cases), case, f"an error, {raised}",
                                      case.hint)) from None
        problem = compare(got, case.expected, case.tol)
        if problem is None and case.after is not None:
            problem = case.after(got)
            if problem is not None:
                raise CheckFailed(message(piece, n, len(cases), case,
                                          f"{fmt(got)}, but {problem}", case.hint))
        if problem is not None:
            special = diagnose(case, got) if diagnose else None
            raise CheckFailed(message(piece, n, len(cases), case, f"{fmt(got)} ({problem})",
                                      special or case.hint))
    print(f"✓ {piece}: all {len(cases)} cases pass.")
