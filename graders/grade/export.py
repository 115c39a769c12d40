"""``gradbook export``: grades.csv, one row per student and chapter, with late penalties.

Penalties follow nbgrader's ``AssignLatePenalties``: a submission is late by
``timestamp - due date`` seconds (its timestamp: nbgrader's ``timestamp.txt`` if present, else
the file's modification time, recorded when it was graded); only a late submission gets a
penalty, from a plugin with nbgrader's interface,
``late_submission_penalty(student_id, score, total_seconds_late)``, and the penalty is kept
between 0 and the score. ``--penalty`` names the plugin:

* ``none`` (no penalty) or ``zero`` (the whole score): nbgrader's ``LateSubmissionPlugin``;
* ``submarks``: one mark per hour late, rounded (the ``SubMarks`` example of nbgrader's docs);
* ``module:Class``: any class with that method (an nbgrader plugin, for one).

With a gradebook, the due date and the penalties are stored there too (the assignment's
``duedate``, the notebook's ``late_submission_penalty``), so ``nbgrader export`` agrees.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
from pathlib import Path

from . import GradingError
from .batch import INSTRUCTOR_ONLY, Journal, Result

COLUMNS = ["student_id", "name", "chapter", "timestamp", "seconds_late", "raw_score",
           "late_penalty", "score", "max_score", "outcome", "reason", "flags",
           "needs_review"]


class ExportError(GradingError, ValueError):
    """A due date or penalty that cannot be used; the message says how to write it."""


try:
    from nbgrader.plugins import BasePlugin as _Base
except ImportError:  # nbgrader is in the test extra; the export itself does not need it
    _Base = object


class SubMarks(_Base):
    """One mark per hour late (nbgrader's documented example plugin)."""

    def late_submission_penalty(self, student_id, score, total_seconds):
        return round(total_seconds / 3600, 0)


def penalty_plugin(spec: str):
    """The plugin instance that ``--penalty spec`` names."""
    if spec in ("none", "zero"):
        from nbgrader.plugins import LateSubmissionPlugin

        return LateSubmissionPlugin(penalty_method=spec)
    if spec == "submarks":
        return SubMarks()
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ExportError(f"unknown penalty {spec!r}: use none, zero, submarks or "
                          f"module:Class (a class with late_submission_penalty(student_id, "
                          f"score, total_seconds_late))")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ExportError(f"cannot load the penalty plugin {spec!r}: {exc}") from exc
    try:
        plugin = cls()
    except Exception as exc:  # the instructor's class: say what went wrong
        raise ExportError(f"cannot make the penalty plugin {spec!r}: {exc}") from exc
    if not callable(getattr(plugin, "late_submission_penalty", None)):
        raise ExportError(f"{spec} has no late_submission_penalty method")
    return plugin


def parse_due(values: list[str], chapters: list[str]) -> dict[str, dt.datetime]:
    """``--due`` values: ``2025-10-01T23:59`` (every chapter) or ``01=2025-10-01T23:59`` (one
    chapter, by number or name), in UTC unless they carry an offset."""
    from nbgrader.utils import parse_utc

    due = {}
    for value in values:
        chapter, sep, when = value.rpartition("=")
        try:
            moment = parse_utc(when)
        except (ValueError, OverflowError) as exc:
            raise ExportError(f"--due {value!r}: not a date and time (write "
                              f"2025-10-01T23:59, optionally 01=2025-10-01T23:59)") from exc
        targets = chapters
        if sep:
            targets = [c for c in chapters if chapter in (c, c[:2])]
            if not targets:
                raise ExportError(f"--due {value!r}: no chapter {chapter!r} among "
                                  f"{', '.join(chapters)}")
        for c in targets:
            due[c] = moment
    return due


def _late(result: Result, due: dt.datetime | None, plugin):
    """(seconds late, penalty) as nbgrader's AssignLatePenalties computes them."""
    if due is None or not result.timestamp or result.outcome == "missing":
        return 0.0, 0.0
    from nbgrader.utils import parse_utc

    seconds = max(0.0, (parse_utc(result.timestamp) - due).total_seconds())
    if seconds <= 0:
        return 0.0, 0.0
    penalty = plugin.late_submission_penalty(result.student, result.score, seconds)
    if penalty is None:
        return seconds, 0.0
    return seconds, min(max(float(penalty), 0.0), result.score)


def export(journal: Journal, csv_path: Path, *, due: dict | None = None, penalty: str = "none",
           db_url: str | None = None) -> list[dict]:
    """Write the CSV; returns its rows. With ``db_url``, store due dates and penalties."""
    plugin = penalty_plugin(penalty)
    results = sorted(journal.read().values(), key=lambda r: (r.student, r.chapter))
    due = due or {}
    rows, late = [], []
    for r in results:
        seconds, pen = _late(r, due.get(r.chapter), plugin)
        if seconds > 0:
            late.append((r, pen))
        rows.append({
            "student_id": r.student, "name": r.name, "chapter": r.chapter,
            "timestamp": r.timestamp or "", "seconds_late": f"{seconds:g}",
            "raw_score": f"{r.score:g}", "late_penalty": f"{pen:g}",
            "score": f"{max(0.0, r.score - pen):g}", "max_score": f"{r.max_score:g}",
            "outcome": r.outcome, "reason": r.reason,
            "flags": " | ".join(r.flags),
            "needs_review": "yes" if any(f.startswith(INSTRUCTOR_ONLY) for f in r.flags)
                            or r.outcome in ("tampered", "crashed", "error") else "",
        })
    rows = [{k: _cell(v) for k, v in row.items()} for row in rows]
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    if db_url:
        _store(db_url, results, due, late)
    return rows


def _cell(value: str) -> str:
    """A CSV field a spreadsheet will not run as a formula (OWASP's CSV injection advice)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _store(db_url, results, due, late) -> None:
    from .gradebook import Book

    late_by = {(r.student, r.chapter): pen for r, pen in late}
    with Book(db_url) as book:
        for r in results:
            if r.outcome in ("missing", "error") or not r.cells:
                continue
            try:
                book.late(r.chapter, r.student, due.get(r.chapter),
                          late_by.get((r.student, r.chapter)))
            except Exception:  # a result that never reached this gradebook
                continue
