"""``gradbook feedback``: one HTML page per student and chapter, from the journal.

A page says the outcome, and for each graded cell its points and, when it did not pass, which
cases failed and what came back (the lines ``graders.probes.compare`` writes: a case's label
and the student's own value, never the expected one), with a hint. Quiz questions say only
that an answer is not right, never which one is. Flags meant for the instructor (provenance,
suspicious constructs) are left out. Everything the student controls is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

from .batch import INSTRUCTOR_ONLY, Journal, Result

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
.pass { color: #17692e; } .fail { color: #a31515; } .manual { color: #8a6d00; }
code, .case { font-family: ui-monospace, monospace; font-size: .9em; }
.case { margin: .15rem 0; } .hint { color: #555; margin-top: .3rem; }
.notes { background: #f6f6f6; padding: .6rem 1rem; }
"""

_OUTCOME_TEXT = {
    "graded": "graded: every graded cell passed",
    "partial": "graded: some cells did not pass",
    "corrupt": "not graded: the notebook file could not be read",
    "timeout": "stopped: the notebook ran out of time",
    "memory": "stopped: the notebook ran out of memory",
    "crashed": "stopped: the notebook's process ended early",
    "tampered": "the grading channel was tampered with",
    "missing": "no submission",
    "error": "the grader failed on this submission (your instructor has been told)",
}


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def render(result: Result) -> str:
    rows = []
    for cell in result.cells:
        status = cell["status"]
        what = cell.get("subject") or ""
        label = (f"piece <code>{_e(what)}</code>" if cell["kind"] == "check" else
                 f"quiz question {_e(what)}" if cell["kind"] == "key" else "graded by hand")
        detail = ""
        if status != "pass":
            detail = "".join(f'<div class="case">{_e(p)}</div>' for p in cell["problems"])
            if cell.get("hint"):
                detail += f'<div class="hint">Hint: {_e(cell["hint"])}</div>'
        rows.append(f'<tr><td><code>{_e(cell["id"])}</code><br>{label}</td>'
                    f'<td class="{_e(status)}">{_e(status)}</td>'
                    f'<td>{cell["score"]:g} / {cell["points"]:g}</td><td>{detail}</td></tr>')
    notes = [f for f in result.flags if not f.startswith(INSTRUCTOR_ONLY)]
    notes_html = ("".join(f"<li>{_e(n)}</li>" for n in notes))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(result.chapter)}: feedback for {_e(result.student)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(result.chapter)}</h1>",
        f"<p>Feedback for <strong>{_e(result.name or result.student)}</strong>"
        + (f" (submitted {_e(result.timestamp)} UTC)" if result.timestamp else "") + "</p>",
        f"<p><strong>{result.score:g} of {result.max_score:g} points</strong>: "
        f"{_e(_OUTCOME_TEXT.get(result.outcome, result.outcome))}.</p>",
    ]
    if result.outcome in ("timeout", "memory", "crashed", "tampered", "corrupt"):
        parts.append(f'<p class="notes">{_e(_student_reason(result))}</p>')
    if notes_html:
        parts.append(f'<div class="notes"><p>Notes:</p><ul>{notes_html}</ul></div>')
    if rows:
        parts += ["<table><thead><tr><th>graded cell</th><th>result</th><th>points</th>"
                  "<th>what went wrong</th></tr></thead><tbody>", *rows, "</tbody></table>"]
    parts += ["<p>Each exercise was run on inputs of the grader's choosing and compared with the "
              "reference solution. The visible check right after an exercise in your notebook "
              "shows failing cases with their expected values.</p>", "</body></html>"]
    return "\n".join(parts) + "\n"


def _student_reason(result: Result) -> str:
    """The reason without the points summary (shown above) and capped."""
    return result.reason.split("; ")[0][:500]


def write_all(journal: Journal, folder: Path, students: list[str] | None = None,
              chapters: list[str] | None = None) -> list[Path]:
    """Write ``folder/<student>/<chapter>.html`` for every journaled result."""
    written = []
    for (student, chapter), result in sorted(journal.read().items()):
        if students and student not in students or chapters and chapter not in chapters:
            continue
        path = Path(folder) / student / f"{chapter}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(result), encoding="utf-8")
        written.append(path)
    return written
