"""``gradbook check NOTEBOOK``: run a chapter notebook and report its visible checks.

The notebook runs top to bottom on a fresh kernel (errors do not stop it; each cell has a
time limit). Each exercise gets one row: the exercise, the engine piece it builds, the
verdict of its visible check, and the check's message. The rows come from the notebook's
own structure (exercise cells and the check cells after them), so a check cell that was
deleted or never ran shows up too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import notebook as nbk
from .kernel import execute

PASS, FAIL, NOT_RUN, MISSING = "pass", "FAIL", "not run", "no check"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Row:
    exercise: str
    piece: str
    verdict: str
    message: str  # one line for the table
    details: str = ""  # the whole message, for failures


def run_checks(path: Path, *, timeout: int = 120) -> tuple[list[Row], list[str]]:
    """(one Row per exercise, notes about other cells that failed) for the notebook at ``path``."""
    path = Path(path)
    executed = execute(nbk.read(path), path.parent, timeout=timeout)
    return rows_of(executed), notes_of(executed)


def _error(cell) -> dict | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def _error_text(err: dict) -> str:
    value = _ANSI.sub("", err.get("evalue", "")).strip()
    name = err.get("ename", "Error")
    if name == "CheckFailed" or (name == "AssertionError" and value):
        return value
    return f"{name}: {value}" if value else name


def _stdout(cell) -> str:
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return _ANSI.sub("", text).strip()


def _ran(cell) -> bool:
    return cell.get("execution_count") is not None or bool(cell.get("outputs"))


def _interrupted(nb, err: dict) -> bool:
    return err.get("ename") == "KeyboardInterrupt" and bool(nb.metadata.get("gradbook_stopped"))


def rows_of(nb) -> list[Row]:
    rows = []
    for i, cell in nbk.exercises(nb):
        exercise, piece = nbk.grade_id(cell) or f"cell {i}", nbk.piece_of(cell)
        check = nbk.check_cell_of(nb, i)
        own_error = _error(cell)
        if own_error is not None:
            text = _error_text(own_error)
            rows.append(Row(exercise, piece, FAIL, f"your exercise cell failed: {text}", text))
        elif check is None:
            rows.append(Row(exercise, piece, MISSING, "its visible check cell is missing"))
        elif not _ran(check[1]):
            rows.append(Row(exercise, piece, NOT_RUN, "the check did not run (a cell above "
                                                      "stopped the notebook)"))
        elif (err := _error(check[1])) is not None:
            text = ("the check ran out of time (a loop that never ends?)" if _interrupted(nb, err)
                    else _error_text(err))
            rows.append(Row(exercise, piece, FAIL, text.splitlines()[0], text))
        else:
            lines = _stdout(check[1]).splitlines()
            rows.append(Row(exercise, piece, PASS, lines[-1] if lines else "passed"))
    return rows


def notes_of(nb) -> list[str]:
    """Failures outside exercises and their checks (a demo that broke, a stopped run)."""
    exercise_cells = set()
    for i, _cell in nbk.exercises(nb):
        exercise_cells.add(i)
        check = nbk.check_cell_of(nb, i)
        if check:
            exercise_cells.add(check[0])
    notes = []
    for i, cell in enumerate(nb.cells):
        if i in exercise_cells or cell.cell_type != "code" or nbk.grade_id(cell):
            continue
        err = _error(cell)
        if err is not None:
            text = _error_text(err)
            first = text.splitlines()[0] if text else err.get("ename", "an error")
            tags = cell.metadata.get("tags", [])
            yours = " (it uses your code)" if nbk.USES_YOUR_CODE in tags else ""
            notes.append(f"cell {i}{yours} failed: {first}")
    if nb.metadata.get("gradbook_stopped"):
        notes.append(f"the run stopped early: {nb.metadata['gradbook_stopped']}")
    return notes


def format_table(rows: list[Row]) -> str:
    header = ("exercise", "piece", "verdict", "message")
    table = [header] + [(r.exercise, r.piece, r.verdict, r.message) for r in rows]
    widths = [max(len(row[k]) for row in table) for k in range(3)]
    lines = []
    for n, row in enumerate(table):
        lines.append("  ".join(row[k].ljust(widths[k]) for k in range(3)) + "  " + row[3])
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    return "\n".join(lines)


def report(path: Path, rows: list[Row], notes: list[str]) -> str:
    passed = sum(r.verdict == PASS for r in rows)
    parts = [f"{path}: {passed} of {len(rows)} exercises pass their visible checks", "",
             format_table(rows)]
    failures = [r for r in rows if r.verdict == FAIL and r.details.count("\n")]
    for r in failures:
        parts += ["", f"--- {r.exercise} ({r.piece}) ---", r.details]
    if notes:
        parts += ["", "Other cells:"] + [f"  {n}" for n in notes]
    return "\n".join(parts)
